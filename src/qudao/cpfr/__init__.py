"""CPFR: partners' own forecasts, their comparison with Qudao's statistical forecast, and the consensus."""
