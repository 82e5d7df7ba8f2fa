"""The brand's mini-program store: catalog, cart, orders, boutiques and guides.

It signs customers in with the platform's launch code (``jscode2session`` through
``miniport.sdk``) and never imports the platform's code: a brand's store is a separate
company's server, meeting the platform only over HTTP.
"""
