import numpy as np, sys, json
from neurocircuit.evaluate import cosim as C
from neurocircuit.calibrate.calibrated import load, model_params
seed = int(sys.argv[1]); power = sys.argv[2] == "1"
m = model_params(load(sys.argv[3] if len(sys.argv) > 3 else "models/calibrated/dpi-neuron.json"))
net = C.default_network(1.0, seed); p = net["params"]
ext = C.extender_width(p)
kernels = [C.fit_synapse_kernel(p.synapse, p.width, seed, w, power=power) for w in
           np.unique(np.concatenate([np.ravel(net["w_in"]), np.ravel(net["w_inh"])])) if w > 0]
res = C.run_network(net, m, kernels, ext)
print(json.dumps({"seed": seed, "power_law": power, "model": sys.argv[3] if len(sys.argv) > 3 else "committed",
                  "gamma": [round(g, 3) for g in res["gamma"]], "rate_spice_hz": res["rate_spice_hz"],
                  "rate_engine_hz": res["rate_engine_hz"],
                  "exc_current_nrmse": [round(x, 4) for x in res["exc_current_nrmse"]],
                  "kernel_heldout_nrmse": [round(k["heldout_nrmse"], 4) for k in kernels]}))
