"""The template the engine's pool workers are forked from.

``make_worker_pool`` names this module as the forkserver's preload: the forkserver imports it
once, before it forks the first worker, and so does once the set-up each worker would otherwise
repeat (``runner.prepare_template``). Every worker forked afterwards, including a replacement for
one that died or ran past its time limit, starts with it done. Nothing else imports this module:
importing it does that set-up in the importing process.
"""

from .runner import prepare_template

prepare_template()
