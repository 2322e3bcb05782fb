//! National language locking-shift and single-shift tables (TS 23.038 §6.2.1.2, Annex A).
