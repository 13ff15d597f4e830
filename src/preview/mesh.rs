//! Triangles in world space from STL and glTF/GLB files, never more than
//! the caller's cap, whatever the file claims.
use std::io::Cursor;

use base64::Engine;
use gltf::buffer::Source;
use gltf::mesh::Mode;

use super::PreviewError;
use super::raster::{Triangle, Vec3};

/// Deeper node trees are refused (a cycle would otherwise never end).
const MAX_DEPTH: usize = 64;
const MAX_NODE_VISITS: usize = 100_000;

type Matrix = [[f32; 4]; 4];

fn malformed(what: &str) -> impl Fn(String) -> PreviewError + '_ {
    move |e| PreviewError::Malformed(format!("{what}: {e}"))
}

fn too_many(max: usize) -> PreviewError {
    PreviewError::TooLarge(format!("the model has more than {max} triangles"))
}

/// STL, ASCII or binary. STL is Z-up; the view expects Y-up.
pub fn stl(bytes: &[u8], max: usize) -> Result<Vec<Triangle>, PreviewError> {
    let mut cursor = Cursor::new(bytes);
    let reader = stl_io::create_stl_reader(&mut cursor)
        .map_err(|e| malformed("not a readable STL")(e.to_string()))?;
    let mut triangles = Vec::new();
    for triangle in reader {
        let triangle = triangle.map_err(|e| malformed("a truncated STL")(e.to_string()))?;
        if triangles.len() >= max {
            return Err(too_many(max));
        }
        triangles.push(triangle.vertices.map(|v| [v[0], v[2], -v[1]]));
    }
    Ok(triangles)
}

/// glTF or GLB: the default scene's node tree with its transforms. Buffers
/// must be in the GLB's BIN chunk or data: URIs; external files are not
/// available to the server.
pub fn gltf(bytes: &[u8], max: usize) -> Result<Vec<Triangle>, PreviewError> {
    let gltf = gltf::Gltf::from_slice(bytes)
        .map_err(|e| malformed("not a readable glTF")(e.to_string()))?;
    let buffers = buffers(&gltf)?;
    let data = |buffer: gltf::Buffer<'_>| buffers.get(buffer.index()).map(Vec::as_slice);
    let roots: Vec<gltf::Node<'_>> = match gltf.default_scene().or_else(|| gltf.scenes().next()) {
        Some(scene) => scene.nodes().collect(),
        None => {
            let children: std::collections::HashSet<usize> = gltf
                .nodes()
                .flat_map(|n| n.children().map(|c| c.index()))
                .collect();
            gltf.nodes()
                .filter(|n| !children.contains(&n.index()))
                .collect()
        }
    };
    let mut stack: Vec<(gltf::Node<'_>, Matrix, usize)> =
        roots.into_iter().map(|n| (n, IDENTITY, 0)).collect();
    let (mut triangles, mut visits) = (Vec::new(), 0);
    while let Some((node, parent, depth)) = stack.pop() {
        visits += 1;
        if depth > MAX_DEPTH || visits > MAX_NODE_VISITS {
            return Err(PreviewError::TooLarge(
                "the node tree is too deep or too large".into(),
            ));
        }
        let world = multiply(&parent, &node.transform().matrix());
        if let Some(mesh) = node.mesh() {
            for primitive in mesh.primitives() {
                let reader = primitive.reader(data);
                let claimed = primitive
                    .indices()
                    .or_else(|| primitive.get(&gltf::Semantic::Positions))
                    .map_or(0, |a| a.count());
                if triangles.len() + claimed / 3 > max {
                    return Err(too_many(max));
                }
                let Some(positions) = reader.read_positions() else {
                    continue;
                };
                let points: Vec<Vec3> = positions.map(|p| apply(&world, p)).collect();
                let order: Vec<u32> = match reader.read_indices() {
                    Some(indices) => indices.into_u32().collect(),
                    None => (0..points.len() as u32).collect(),
                };
                assemble(primitive.mode(), &points, &order, &mut triangles);
                if triangles.len() > max {
                    return Err(too_many(max));
                }
            }
        }
        stack.extend(node.children().map(|child| (child, world, depth + 1)));
    }
    Ok(triangles)
}

fn buffers(gltf: &gltf::Gltf) -> Result<Vec<Vec<u8>>, PreviewError> {
    gltf.buffers()
        .map(|buffer| {
            let bytes = match buffer.source() {
                Source::Bin => gltf
                    .blob
                    .clone()
                    .ok_or_else(|| PreviewError::Malformed("the GLB has no BIN chunk".into()))?,
                Source::Uri(uri) => data_uri(uri)?,
            };
            if bytes.len() < buffer.length() {
                return Err(PreviewError::Malformed(format!(
                    "buffer {} holds {} bytes, not the {} it declares",
                    buffer.index(),
                    bytes.len(),
                    buffer.length()
                )));
            }
            Ok(bytes)
        })
        .collect()
}

fn data_uri(uri: &str) -> Result<Vec<u8>, PreviewError> {
    let Some(rest) = uri.strip_prefix("data:") else {
        return Err(PreviewError::Unsupported(
            "the model's buffers are in external files, which the server does not have".into(),
        ));
    };
    let (header, payload) = rest
        .split_once(',')
        .ok_or_else(|| PreviewError::Malformed("a data: URI without a comma".into()))?;
    if !header.ends_with(";base64") {
        return Err(PreviewError::Malformed(
            "a data: URI buffer that is not base64".into(),
        ));
    }
    base64::engine::general_purpose::STANDARD
        .decode(payload)
        .map_err(|e| malformed("a data: URI buffer")(e.to_string()))
}

fn assemble(mode: Mode, points: &[Vec3], order: &[u32], out: &mut Vec<Triangle>) {
    let corner = |i: usize| order.get(i).and_then(|&k| points.get(k as usize)).copied();
    let mut push = |a: usize, b: usize, c: usize| {
        if let (Some(a), Some(b), Some(c)) = (corner(a), corner(b), corner(c)) {
            out.push([a, b, c]);
        }
    };
    let n = order.len();
    match mode {
        Mode::Triangles => (0..n / 3).for_each(|t| push(3 * t, 3 * t + 1, 3 * t + 2)),
        Mode::TriangleStrip => (0..n.saturating_sub(2)).for_each(|i| push(i, i + 1, i + 2)),
        Mode::TriangleFan => (1..n.saturating_sub(1)).for_each(|i| push(0, i, i + 1)),
        // Points and lines have no surface to shade.
        _ => {}
    }
}

const IDENTITY: Matrix = [
    [1.0, 0.0, 0.0, 0.0],
    [0.0, 1.0, 0.0, 0.0],
    [0.0, 0.0, 1.0, 0.0],
    [0.0, 0.0, 0.0, 1.0],
];

/// `a × b` for glTF's column-major matrices (`m[column][row]`).
fn multiply(a: &Matrix, b: &Matrix) -> Matrix {
    let mut out = [[0.0; 4]; 4];
    for (column, out_column) in out.iter_mut().enumerate() {
        for (row, cell) in out_column.iter_mut().enumerate() {
            *cell = (0..4).map(|k| a[k][row] * b[column][k]).sum();
        }
    }
    out
}

fn apply(m: &Matrix, p: Vec3) -> Vec3 {
    let row = |r: usize| m[0][r] * p[0] + m[1][r] * p[1] + m[2][r] * p[2] + m[3][r];
    [row(0), row(1), row(2)]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transforms_compose_parent_first() {
        let translate = |x: f32| {
            let mut m = IDENTITY;
            m[3][0] = x;
            m
        };
        let mut scale = IDENTITY;
        scale[0][0] = 2.0;
        // parent scales, child translates: the translation is scaled too.
        let world = multiply(&scale, &translate(1.0));
        assert_eq!(apply(&world, [1.0, 5.0, 0.0]), [4.0, 5.0, 0.0]);
    }

    #[test]
    fn strips_and_fans_become_triangles() {
        let points = [[0.0; 3], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [1.0, 1.0, 0.0]];
        let order = [0, 1, 2, 3];
        for (mode, expected) in [
            (Mode::Triangles, 1),
            (Mode::TriangleStrip, 2),
            (Mode::TriangleFan, 2),
            (Mode::Lines, 0),
        ] {
            let mut out = Vec::new();
            assemble(mode, &points, &order, &mut out);
            assert_eq!(out.len(), expected, "{mode:?}");
        }
        let mut out = Vec::new();
        assemble(Mode::Triangles, &points, &[0, 1, 99], &mut out);
        assert!(out.is_empty(), "an index past the positions is skipped");
    }

    #[test]
    fn binary_stl_claiming_a_billion_triangles_is_refused() {
        let mut bytes = vec![b' '; 80];
        bytes.extend_from_slice(&1_000_000_000u32.to_le_bytes());
        bytes.extend_from_slice(&[0u8; 50 * 3]);
        assert!(matches!(stl(&bytes, 2), Err(PreviewError::TooLarge(_))));
        assert!(matches!(
            stl(&bytes, 1_000_000),
            Err(PreviewError::Malformed(_))
        ));
    }

    #[test]
    fn external_buffers_are_unsupported() {
        let json = br#"{"asset":{"version":"2.0"},"buffers":[{"byteLength":4,"uri":"mesh.bin"}]}"#;
        assert!(matches!(gltf(json, 10), Err(PreviewError::Unsupported(_))));
    }

    fn fixture_gltf() -> serde_json::Value {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/files/model.gltf");
        serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
    }

    fn load(json: &serde_json::Value) -> Result<Vec<Triangle>, PreviewError> {
        gltf(&serde_json::to_vec(json).unwrap(), 1_000)
    }

    #[test]
    fn node_transforms_place_each_instance_of_a_mesh() {
        let mut json = fixture_gltf();
        assert_eq!(
            load(&json).unwrap(),
            vec![[[0.0; 3], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]]
        );
        // The child draws the parent's mesh again, 10 to the right, scaled 2.
        json["nodes"][0]["translation"] = serde_json::json!([0.0, 0.0, 5.0]);
        json["nodes"][1]["mesh"] = serde_json::json!(0);
        json["nodes"][1]["translation"] = serde_json::json!([10.0, 0.0, 0.0]);
        json["nodes"][1]["scale"] = serde_json::json!([2.0, 2.0, 2.0]);
        let triangles = load(&json).unwrap();
        assert_eq!(triangles.len(), 2);
        assert!(triangles.contains(&[[0.0, 0.0, 5.0], [1.0, 0.0, 5.0], [0.0, 1.0, 5.0]]));
        assert!(triangles.contains(&[[10.0, 0.0, 5.0], [12.0, 0.0, 5.0], [10.0, 2.0, 5.0]]));
    }

    #[test]
    fn claims_and_cycles_are_caught_before_work() {
        let mut billion = fixture_gltf();
        billion["accessors"][0]["count"] = serde_json::json!(1_000_000_000u64);
        let result = load(&billion);
        assert!(
            matches!(result, Err(PreviewError::TooLarge(_))),
            "{result:?}"
        );
        let mut cycle = fixture_gltf();
        cycle["nodes"][1]["children"] = serde_json::json!([0]);
        let result = load(&cycle);
        assert!(
            matches!(result, Err(PreviewError::TooLarge(_))),
            "{result:?}"
        );
    }
}
