"""Sales orders: intake from every channel, allocation against the stock ledger, fulfilment, returns.

Importing the package registers the backorder fill on inventory's stock-available hook, so stock that
arrives through any adapter (API, CLI, jobs) goes to waiting orders in priority order.
"""

from qudao.orders import stock as _stock  # noqa: F401  (registers the hook)
