# The Vault policy of the Secret API's own token, for the default layout
# (policy prefix secret-api/, token role prefix getsecretid-, AppRole at
# auth/approle/, app areas in the kv v2 mount secret/). Change the paths if
# your layout changes those names.

# Provisioning: each app's read and get-secret-id policies.
path "sys/policies/acl/secret-api/*" {
  capabilities = ["create", "read", "update"]
}

# Provisioning: each app's AppRole, and reading its RoleID. Nothing else
# under the role: the Secret API never creates SecretIDs itself.
path "auth/approle/role/+" {
  capabilities = ["create", "read", "update"]
}
path "auth/approle/role/+/role-id" {
  capabilities = ["read"]
}

# Provisioning: each app's token role.
path "auth/token/roles/getsecretid-*" {
  capabilities = ["create", "read", "update"]
}

# Minting get-secret-id tokens through those token roles.
path "auth/token/create/getsecretid-*" {
  capabilities = ["create", "update"]
}

# Secrets and their history in the apps' areas.
path "secret/data/*" {
  capabilities = ["create", "read", "update"]
}
path "secret/metadata/*" {
  capabilities = ["create", "read", "update"]
}
