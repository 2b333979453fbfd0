//! Shared wiring for the Lambda binaries.
