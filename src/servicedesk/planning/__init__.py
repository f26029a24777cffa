"""Workforce planning: how many agents a load needs, by formula and by simulation.

`erlang` (Erlang C and A), `staffing` (hourly plans from history; skill designs searched by
simulation), `simulation` (the simpy contact floor with a pluggable routing rule), `cli` (the
`staffing` sub-command). Nothing is re-exported here, so importing the CLI stays cheap until a
command actually needs scipy or simpy.
"""
