"""LinkedIn organization pages (Community Management API): comments on the organization's
posts and posts that mention it in; replies as the organization and organization posts out."""
