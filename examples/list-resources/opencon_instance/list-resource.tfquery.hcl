# Terraform 1.14+ (terraform query). The Gmail instances tagged "mail".
list "opencon_instance" "mailboxes" {
  provider = opencon

  config {
    element_key = "gmail"
    tags        = ["mail"]
  }
}

# Every instance of the account, read in full, to generate its configuration
# with `terraform query -generate-config-out=generated.tf`.
list "opencon_instance" "all" {
  provider         = opencon
  include_resource = true
}
