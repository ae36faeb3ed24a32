//! The thin layer between the rules and the tables: prepared statements, bound parameters,
//! one SQL statement per step. No SQL text here is ever built from an argument.

mod appointments;
mod as_owner;
mod bookings;
mod events;
mod plans;
pub mod pool;
pub mod read_only;
mod shape;
mod statements;

