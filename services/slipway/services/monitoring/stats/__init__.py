"""Pure statistics of the monitoring service: data drift, concept drift and bounded windows.

Plain numpy and scipy; nothing here knows about gRPC, storage or pandas.
"""
