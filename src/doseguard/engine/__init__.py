"""The durable-rules backend, the only package that imports durable-rules.

``compile`` turns a rule's condition into the engine's JSON, ``limits`` holds what the C core takes,
``compiled`` compiles every rule once and reports what the engine cannot take as located rule-file
problems, and ``adapter`` drives the C core clear of its hazards.
"""
