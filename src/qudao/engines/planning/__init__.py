"""Supply planning engine (issue 5): netting, lot sizing, network, BOM, capacity, allocation. Pure."""
