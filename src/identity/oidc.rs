//! OpenID Connect sign-in (next commit).
