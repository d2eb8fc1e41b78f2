//! stakker-tokio (in progress).
