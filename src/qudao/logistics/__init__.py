"""Logistics: carriers and rate cards, freight records of shipments and transfers, tracking, delivery
route plans, freight cost and emissions. Orders keep the fulfilment record (``orders.Shipment``)."""
