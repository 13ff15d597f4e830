//! The responses every operation shares, filled in once for the whole
//! document instead of repeated in each handler's annotation: a
//! description for every status, `application/problem+json` for errors,
//! and the statuses any operation of a kind can answer (401 when it needs
//! a token, 400 when it reads input, 415 when it reads JSON, 410 under a
//! document that may be purged, 412 on tus routes, 503 with `Retry-After`
//! when it needs the database).
use utoipa::openapi::header::HeaderBuilder;
use utoipa::openapi::path::Operation;
use utoipa::openapi::{
    ContentBuilder, OpenApi, Ref, RefOr, Response, ResponseBuilder, Type,
    schema::{ObjectBuilder, Schema},
};

pub struct SharedResponses;

/// Paths answered without the database.
const NO_DATABASE: [&str; 3] = ["/healthz", "/api/v1/openapi.json", "/auth/config"];

const PROBLEM: &str = "application/problem+json";

impl utoipa::Modify for SharedResponses {
    fn modify(&self, openapi: &mut OpenApi) {
        for (path, item) in openapi.paths.paths.iter_mut() {
            let tus = path.starts_with("/api/v1/uploads");
            let document = path.contains("/documents/{id}");
            let operations = [
                ("get", &mut item.get),
                ("put", &mut item.put),
                ("post", &mut item.post),
                ("delete", &mut item.delete),
                ("options", &mut item.options),
                ("head", &mut item.head),
                ("patch", &mut item.patch),
            ];
            for (method, operation) in operations {
                let Some(operation) = operation else { continue };
                // A purged document answers 410 on every path under it; a
                // tus request without `Tus-Resumable: 1.0.0`, 412.
                add(operation, 410, document);
                add(operation, 412, tus && method != "options");
                complete(operation, !NO_DATABASE.contains(&path.as_str()));
            }
        }
    }
}

fn complete(operation: &mut Operation, uses_database: bool) {
    let needs_token = operation
        .security
        .as_ref()
        .is_some_and(|requirements| !requirements.is_empty());
    let reads_input = operation
        .parameters
        .as_ref()
        .is_some_and(|parameters| !parameters.is_empty())
        || operation.request_body.is_some();
    let reads_json = matches!(&operation.request_body, Some(RefOr::T(body))
        if body.content.contains_key("application/json"));
    add(operation, 400, reads_input);
    add(operation, 401, needs_token);
    add(operation, 415, reads_json);
    add(operation, 503, uses_database);
    for (status, response) in operation.responses.responses.iter_mut() {
        let RefOr::T(response) = response else {
            continue;
        };
        let status: u16 = status.parse().unwrap_or_default();
        if response.description.is_empty() {
            response.description = describe(status).to_owned();
        }
        if status >= 400
            && let Some(json) = response.content.shift_remove("application/json")
        {
            response.content.insert(PROBLEM.to_owned(), json);
        }
        if status == 503 {
            response.headers.insert(
                "Retry-After".to_owned(),
                RefOr::T(
                    HeaderBuilder::new()
                        .schema(Some(Schema::Object(
                            ObjectBuilder::new().schema_type(Type::Integer).build(),
                        )))
                        .description(Some("seconds to wait before trying again"))
                        .build(),
                ),
            );
        }
    }
}

/// Documents `status` (a problem) on `operation` when `condition` holds
/// and its annotation did not.
fn add(operation: &mut Operation, status: u16, condition: bool) {
    if condition {
        operation
            .responses
            .responses
            .entry(status.to_string())
            .or_insert_with(|| RefOr::T(problem(status)));
    }
}

fn problem(status: u16) -> Response {
    ResponseBuilder::new()
        .description(describe(status))
        .content(
            PROBLEM,
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("Problem")))
                .build(),
        )
        .build()
}

/// What a status means in this API, for responses whose annotation did
/// not say more.
fn describe(status: u16) -> &'static str {
    match status {
        101 => "Switching Protocols",
        200 => "OK",
        201 => "Created",
        204 => "No Content",
        206 => "Partial Content: the requested byte range",
        302 => "Found: the content at a short-lived signed URL",
        304 => "Not Modified",
        400 => "Bad Request: the problem's detail says which input was wrong",
        401 => "Unauthorized: no token, or one that is invalid, expired or revoked",
        403 => "Forbidden: a member without the permission this needs",
        404 => "Not Found, or not visible to the caller",
        405 => "Method Not Allowed: the Allow header lists the methods",
        409 => "Conflict with the resource's current state",
        410 => "Gone: purged or expired",
        412 => {
            "Precondition Failed: a stale If-Match, or a tus request without Tus-Resumable: 1.0.0"
        }
        413 => "Content Too Large",
        415 => "Unsupported Media Type",
        416 => "Range Not Satisfiable",
        423 => "Locked: checked out by someone else",
        429 => "Too Many Requests: see Retry-After",
        503 => "Service Unavailable: a dependency is down; retry after Retry-After seconds",
        507 => "Insufficient Storage: the project's quota is full",
        _ => "See the problem's detail",
    }
}
