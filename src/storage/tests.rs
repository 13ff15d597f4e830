use super::*;

#[test]
fn keys_are_content_addresses_and_parse_back() {
    let store = BlobStore::new(Arc::new(InMemory::new()), "tenant-a");
    let sha = Sha256::from_digest([0xab; 32]);
    let path = store.blob_path(&sha);
    assert_eq!(
        path.as_ref(),
        format!("tenant-a/sha256/ab/{}", &sha.as_str()[2..])
    );
    assert_eq!(sha_of(path.as_ref()), Some(sha.clone()));
    assert_eq!(sha_of("tenant-a/uploads/123"), None);
    let preview = store.preview_path(&sha, "256-v1.png");
    assert_eq!(
        preview_of(preview.as_ref()),
        Some((sha, "256-v1.png".into()))
    );
    assert_eq!(preview_of("tenant-a/uploads/123"), None);
}
