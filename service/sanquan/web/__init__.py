"""The browser pages: the commission's dashboard at ``/`` and GraphiQL at ``/graphql``, with
every script, stylesheet and font they use served from this package, so that they work on an
intranet with no way out."""
