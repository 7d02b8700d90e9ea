//! Things nightdesk does outside its own state on the user's behalf. For now: remote
//! sessions to an item's host ([`session`]).

pub mod session;
