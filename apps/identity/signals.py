"""The events identity announces to other apps (layers above it). Identity never imports its listeners.

Listeners connect in their AppConfig.ready() with a dispatch_uid. Every event is sent with `sender` set to the
model class of its subject. Events sent inside a transaction run their receivers in it: a receiver that raises
aborts the change, so one that must not (or that starts outside work) says so and acts accordingly.
"""

from django.dispatch import Signal

# user=, passkey= (the first device). Sent inside the sign-up transaction, before the first session opens:
# what receivers write (chain: the counterfactual account on every chain) commits or rolls back with the user.
user_registered = Signal()

# passkey=. Sent after the device change commits, because receivers start outside work (paymaster: the
# on-chain owner change on every chain) that must never see a change that rolled back. device_added also
# carries ip_address= (str | None) and user_agent= (str) of the request that added it, for the new-device alert.
device_added = Signal()
device_revoked = Signal()

# user= (locked). Sent inside the erasure transaction, before identity anonymises its own rows. Each receiver
# deletes its app's personal data and returns a `dict[str, int]` of counts, merged into the erasure's result.
user_erasing = Signal()

# event= (a SecurityEvent). Sent inside the transaction that records it, which commits even when the request
# it comes from is refused; a receiver that writes does so under a savepoint, so its failure cannot undo it.
security_event_recorded = Signal()
