"""The GraphQL edge: context, error mapping, scalars, pagination and the composed schema.

Resolvers here translate between GraphQL and the domain services; no rule lives here.
"""
