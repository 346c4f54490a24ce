"""The wizard's screens: welcome, one module per step, summary, and their shared base.

The App (wizard/app/) maps steps to these modules and imports each on first use. A screen
is given what it reads when it is made and asks the App for work with a message declared
on its own class (see wizard/app/__init__.py); no module here imports the App.
"""
