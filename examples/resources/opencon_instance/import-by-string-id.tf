import {
  to = opencon_instance.gmail
  id = "12345"
}
