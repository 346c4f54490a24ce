"""The wizard's screens: welcome, one module per step, summary, and their shared base.

The App (wizard/app.py) maps steps to these modules and imports each on first use.
"""
