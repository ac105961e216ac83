"""Trainees practise counseling against the simulated clients (``counselsim practice``).

The trainee is the counselor: the practice graph (:mod:`counselsim.graphs.practice`) waits
for their turn through a LangGraph interrupt, the client answers as in ``simulate``, and the
session ends in a debrief. :mod:`.room` is the service the terminal, the scripted mode and
the web page (:mod:`counselsim.web`) share.
"""
