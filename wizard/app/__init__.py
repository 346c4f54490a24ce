"""The TUI face's home: WizardApp, its workers and the outcome messages they post.

- `wizard_app`: the App itself: the screen flow, the bindings, the session, the language.
- `certificate_work`, `elb_work`, `handshake_work`, `clients_work`: the work the pages ask
  for, by kind (steps 1-3 and renewals; steps 4-6; step 7; the Clients page), each a part of
  WizardApp, all sharing `work` (running in a thread, `busy`, recording, saving files).
- `outcomes`: the typed messages a worker posts back when it is done.

How a page asks for work. A page (screens/) never imports or calls the App: it posts a
request message declared on its own class, as Textual declares `Button.Pressed` on the
button, e.g. `self.post_message(self.TestRequested(host, port, sni, trust))` on VerifyScreen.
The message bubbles up to the App, whose handler is named after it by Textual's rule:
`on_verify_screen_test_requested` in handshake_work.py, as `on_button_pressed` handles
`Button.Pressed`. (A name rather than `@on(VerifyScreen.TestRequested)`: the decorator would
import every page, and the crypto library with them, before the first one is painted.) The
handler starts a worker (`@work(thread=True)`) on a copy of the answers.

How the outcome comes back. The worker posts one typed outcome (`outcomes`); the App's
`@on` handler for it records it into the session with `wizard.record.record`, saves, and
calls every open page's `sync()`, which redraws from the session and from what the App is
busy with (`screens.base.WorkInProgress`, handed to every page when it is made, with the
session and the workspace). An answer only the asking page needs (the readiness checklist,
the practice listener's address) is posted back to that page (`message.page`), as a message
declared on the page too.

Adding one: declare `class SomethingRequested(Message)` on the page, post it, and write
`on_<page>_something_requested` in the work module of its kind. Anything that writes into
the workspace is such work, never a page's own worker (a page's workers only read).
tests/tui/test_page_requests.py fails while a request has no handler, and
tests/core/test_architecture.py while a page imports the App or calls its `start_*`.
"""

from wizard.app.wizard_app import SUMMARY, WizardApp, run_app

__all__ = ["SUMMARY", "WizardApp", "run_app"]
