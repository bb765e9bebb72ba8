"""Site security that is nobody else's job: the deploy check on static files, two-factor sign-in
for the admin, and the settings of the Content-Security-Policy and login throttling libraries
(configured in config/settings.py)."""
