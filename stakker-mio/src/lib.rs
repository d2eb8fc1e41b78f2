//! stakker-mio: drives a stakker runtime from a mio poll loop (in progress).
