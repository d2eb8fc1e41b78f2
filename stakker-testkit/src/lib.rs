//! stakker-testkit (in progress).
