//! The fault suite the project keeps (issue 15): nothing acknowledged is
//! lost and nothing half-done shows when the server is killed, when
//! PostgreSQL restarts, or when S3 goes away, under concurrent writers.
//! Untimed: each test waits for what it needs to see, never for a clock.
mod database_restart;
mod kill;
mod load;
mod s3_outage;
