# Terraform 1.14+ (terraform query). Every instance of the account, read in
# full so that configuration can be generated from it. terraform query stops
# at 100 results of a list block unless its limit says otherwise.
list "opencon_instance" "all" {
  provider         = opencon
  include_resource = true
  limit            = 1000
}
