"""The statistical engines the detectors share: null-model tails and false-discovery
control (significance), repeated co-occurrence in contexts (cooccurrence) and across
venues (roaming), co-admission in sliding windows (wave_windows), cards far from their
holders' places (far_cards) and purchases beyond need (resale). Engines take frames and
return groups or tests; they know no store and no pattern."""
