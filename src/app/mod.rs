//! The application: state, the update function that applies actions and source events to
//! it, and the event loop that ties terminal, sources and rendering together.

pub mod form;
mod handover;
pub mod history;
pub mod input;
pub mod local;
pub mod notify;
pub mod run;
pub mod session;
mod snapshot;
pub mod state;
pub mod terminal;
pub mod update;
pub mod views;
pub mod writeback;
