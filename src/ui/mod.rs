//! Rendering only: draws the state into a buffer. Nothing here changes state.

pub mod format;
