/* placeholder: replaced by the JIT core */
