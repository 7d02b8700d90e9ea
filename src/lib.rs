//! nightdesk: one keyboard-driven on-call queue for MSP tickets, alerts and backup findings,
//! sorted by what breaches its SLA first.

pub mod action;
pub mod actions;
pub mod app;
pub mod cli;
pub mod clock;
pub mod config;
pub mod i18n;
pub mod keymap;
pub mod model;
pub mod notify;
pub mod oneshot;
pub mod queue;
pub mod setup;
pub mod sla;
pub mod sources;
pub mod store;
pub mod text;
pub mod theme;
pub mod ui;
