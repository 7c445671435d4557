# Terraform 1.14+. Sends one signed sample event to the receiver:
#
#   terraform apply -invoke=action.opencon_event_test.gmail_receiver -var "signature_key=$KEY"
#
# The run fails, with the receiver's status and answer, unless the receiver
# answers 2xx.
variable "signature_key" {
  type      = string
  ephemeral = true
  sensitive = true
}

action "opencon_event_test" "gmail_receiver" {
  config {
    callback_url  = "https://hooks.example.com/gmail"
    signature_key = var.signature_key
    element_key   = "gmail"
    object_type   = "changed-messages"
  }
}
