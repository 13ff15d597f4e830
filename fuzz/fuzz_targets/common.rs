use std::sync::Once;

/// The server catches a panic inside an extractor (`catch_unwind`) and
/// records a failure; libFuzzer's hook would abort on it instead. Keep the
/// server's semantics: a crash here is an abort, a hang, or memory beyond
/// libFuzzer's limit.
pub fn server_semantics() {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| std::panic::set_hook(Box::new(|_| {})));
}
