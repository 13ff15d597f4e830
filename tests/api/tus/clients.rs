//! Real tus clients this project did not write.
