"""The partner ("host") app: a note community or a shopping app, one codebase per instance.

It talks to the platform only over HTTP through ``miniport.sdk``; it never imports
``miniport.platform``. Public entry points: ``HostSettings`` / ``instance_defaults``
(``miniport.host.settings``), ``create_app`` (``miniport.host.web.app``) and
``seed_database`` / ``seed_instance`` (``miniport.host.seed``).
"""
