"""The stores: one module per table (and one per queue or bucket), the only code that calls AWS.

Each store owns its table's key layout (documented in `sas_common.tables`) and every request made to it;
the use cases (`<domain>/service.py`) call stores, the rules never do. A store is built by the runtime
(`sas_common.runtime.Runtime`) on that runtime's clients.
"""
