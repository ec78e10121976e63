"""`make mutate`: mutation testing of the layer's rule modules against their unit tests.

mutmut 3 mutates the modules' functions (`with_mutmut`); `extra` mutates what mutmut leaves alone
(module constants, pydantic field bounds and defaults, decorated methods); `classify` sets aside the
mutants that change only a message or are equivalent; `report` writes `reports/mutation.md`.
"""
