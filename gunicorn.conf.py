"""gunicorn's settings for every deployment: gunicorn reads ./gunicorn.conf.py from its working directory (the
Dockerfile's /app), and command-line flags still win.

The access log line carries the path without its query string, and no referrer: either may hold a secret or an
identifier (an integrator's `?apikey=`, which /rpc/paymaster refuses but a client may still send, or a link
token). No client address either: the application's own access log (lykos.access) follows the same rule, and the
request id ties the two together.
"""

access_log_format = '%(t)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms "%(a)s" %({x-request-id}o)s'
