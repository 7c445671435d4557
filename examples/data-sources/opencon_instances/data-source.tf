# Every instance tagged both "prod" and "finance" whose name contains "erp"
# (ignoring case). No match gives an empty list.
data "opencon_instances" "prod_erp" {
  tags          = ["prod", "finance"]
  name_contains = "erp"
}

output "prod_erp_ids" {
  value = [for i in data.opencon_instances.prod_erp.instances : i.id]
}

# Instances whose authentication needs attention.
data "opencon_instances" "all" {}

output "invalid_instances" {
  value = [for i in data.opencon_instances.all.instances : "${i.id} ${i.name}" if !i.valid]
}
