# Terraform 1.14+ (terraform query). Every instance of the account, read in
# full so that configuration can be generated from it.
list "opencon_instance" "all" {
  provider         = opencon
  include_resource = true
}
