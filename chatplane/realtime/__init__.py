"""Real-time delivery: connected RTM sessions and the fan-out of pushes to them."""
