/// Simulated boards: a deterministic model of the RP2040 and RP2350 bootroms and of a running app.
public enum PicoSim {}
