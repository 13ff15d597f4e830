//! What leaves storage and when: garbage collection of unfinished uploads,
//! unreferenced blobs and stale thumbnails.
pub mod gc;
