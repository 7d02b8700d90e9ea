//! The built-in demo world (STUB).
