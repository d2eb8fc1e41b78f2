//! Checking an actor system against a reference model, with proptest generating (and
//! shrinking) the operations and the delivery schedule together.
