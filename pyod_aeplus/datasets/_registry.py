"""Where every data set comes from: public URL and pinned sha256."""

ADBENCH_COMMIT = "3dac8221081e190f157d78e93bfa8867f90d0965"
ADBENCH_URL = ("https://github.com/Minqi824/ADBench/raw/" + ADBENCH_COMMIT
               + "/adbench/datasets/Classical/{name}.npz")
PYOD_RAW = "https://github.com/yzhao062/pyod/raw/{commit}/{path}"

#: The 47 ADBench "Classical" sets, by number.
ADBENCH_NAMES = [
    "1_ALOI", "2_annthyroid", "3_backdoor", "4_breastw", "5_campaign", "6_cardio",
    "7_Cardiotocography", "8_celeba", "9_census", "10_cover", "11_donors", "12_fault",
    "13_fraud", "14_glass", "15_Hepatitis", "16_http", "17_InternetAds", "18_Ionosphere",
    "19_landsat", "20_letter", "21_Lymphography", "22_magic.gamma", "23_mammography",
    "24_mnist", "25_musk", "26_optdigits", "27_PageBlocks", "28_pendigits", "29_Pima",
    "30_satellite", "31_satimage-2", "32_shuttle", "33_skin", "34_smtp", "35_SpamBase",
    "36_speech", "37_Stamps", "38_thyroid", "39_vertebral", "40_vowels", "41_Waveform",
    "42_WBC", "43_WDBC", "44_Wilt", "45_wine", "46_WPBC", "47_yeast",
]

#: sha256 of the ADBench files whose bytes were checked; a set missing here
#: downloads with a warning that its checksum is not pinned.
ADBENCH_SHA256 = {
    "1_ALOI": "792d0b5bd1147bfc9574a1974f157b39fbd4cbed8ecd04cf983fd554498ed477",
    "5_campaign": "74dd4d0072d6c6f1aabab63bc102f9633454f32bb936fa9bcfbd38f9f2386bcd",
    "7_Cardiotocography": "5ae84910430f05923e11b6f537243263977c9136949dabd891e3570aeec51e29",
    "11_donors": "5824ec854465f2763b4bfe3da1ae9f25ed5433b5c6e265d42e37da4f82a58679",
    "15_Hepatitis": "4a87a2f7d8013e5bfde63294fae61ec7a612322de72f338a7f9491749025ad98",
    "17_InternetAds": "bdd8ad5cf5bf2cb96cba53dde30d522d0f6a279083a8e2bc7efbac5981b04385",
    "19_landsat": "ba17e2158c07469597b89db49d3982c874c6b713ff6670721ddc88969da77987",
    "21_Lymphography": "dad977b04f4ea65b78ccd0e9f76b45175bad605165b37e63f3cc177845e67037",
    "23_mammography": "a0308ac9712d78321073b1c2dc98dc37665c0f35c1cc33019416fe8f8d7de7ea",
    "25_musk": "2ed3f4392197b76a1e59116ff880c7720a4b026cf4842073a53b56fdea265017",
    "27_PageBlocks": "10a9b4d5bb5d3b9083caab4c4062f665610eada703c3d927bf7c34b1f2d0d223",
    "29_Pima": "215454bb263a2f040945c9ea7bd7f06f1e89a61a3143bdb6f196e3887e801a7d",
    "31_satimage-2": "1b056e357f801b8b20c3f380a30224a3c4088d7ed764ec5a24828dc9b1918d6f",
    "33_skin": "d02aa01ffc1b6bf2b8b1ac250c90e8a8eacd0cefc962940ed5cc4bf5deac9c95",
    "35_SpamBase": "d0c46c7928e43f6496bcd06e09de0b70f6bc8143792dfa0a43f450263d254e9b",
    "37_Stamps": "99fe739447284f613fa54bf2dccdb51c5120175ce6260adec6dad77576c42509",
    "39_vertebral": "0816286f92b96fe6867664a41a031ac7228dcfbf1a5feefe50ca3883b2e9073d",
    "41_Waveform": "6c9d867337ad1a2f8372c1d27f4c032f0401237e2041b7c45f00de8d319ff30f",
    "43_WDBC": "78d4606a1ab516f5b60b00c196497f3bbd6bd5e4548fd04cf5f2475209b34b85",
    "45_wine": "d5ad8965d92cc57122fe1e6572bb301adbaf795b3e166d187ae00a704d8f6e20",
    "47_yeast": "bbb15c873d78a4f6a589f46d0f75814595e2282d2ae7ce7779c750f276c3770d",
}

#: ODDS .mat files as PyOD's repository holds them: name -> (commit, path, sha256).
ODDS = {
    "arrhythmia": ("b6516b81becf03d3cc0188fd826519c6cca79d2a", "data/arrhythmia.mat",
                   "e4d47e499591ae31e5d7f0cd983367092353eac240f48e14c9b36457edb3460d"),
    "lympho": ("3b73bcea922e9934bb0381cc3a6c71bf560e3960", "notebooks/data/lympho.mat",
               "031b907ecb50347720b08b38f8139d05635adeca9335a064d89d5569c27a5834"),
    "mammography": ("b6516b81becf03d3cc0188fd826519c6cca79d2a", "data/mammography.mat",
                    "271ebb568314a856666d3504b4882e21b0ea6e1ba9e648ad256d572a36df597e"),
    "musk": ("3b73bcea922e9934bb0381cc3a6c71bf560e3960", "notebooks/data/musk.mat",
             "50bbf414caceb66cfe6f6b1eb7c1ff7c6eb1e6d87173f7bb597ba55cd3dc5493"),
    "pima": ("3b73bcea922e9934bb0381cc3a6c71bf560e3960", "examples/data/pima.mat",
             "b6a5be8d548b9293d6958beceb1c77055591714d25d40d957eba87808456468f"),
    "satimage-2": ("3b73bcea922e9934bb0381cc3a6c71bf560e3960", "notebooks/data/satimage-2.mat",
                   "95c37a07cea2cb201f6900d14f521510e10b6b2f0074c06ac46d3157440ec67b"),
    "vertebral": ("3b73bcea922e9934bb0381cc3a6c71bf560e3960", "notebooks/data/vertebral.mat",
                  "84b50b055f118f54b5c976650ccd284ab7c1adee822f8b3eb517c7e2c890d15e"),
}

#: Single files: cache path -> (url, sha256 or None).
FILES = {
    "ecg/ecg.csv": (
        "http://storage.googleapis.com/download.tensorflow.org/data/ecg.csv",
        "72ce7b040ca0c6ed36c3368e570c6ac4ddf20100476e47373c63b2395e012df1"),
    "mnist/t10k-images-idx3-ubyte.gz": (
        "https://ossci-datasets.s3.amazonaws.com/mnist/t10k-images-idx3-ubyte.gz",
        "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6"),
    "mnist/t10k-labels-idx1-ubyte.gz": (
        "https://ossci-datasets.s3.amazonaws.com/mnist/t10k-labels-idx1-ubyte.gz",
        "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6"),
    # The ULB file is behind Kaggle's login; TensorFlow's tutorial mirror is
    # public. Its checksum has not been checked here, so it is not pinned;
    # the loader checks the schema instead.
    "creditcard/creditcard.csv": (
        "https://storage.googleapis.com/download.tensorflow.org/data/creditcard.csv", None),
}
for _name in ADBENCH_NAMES:
    FILES[f"adbench/{_name}.npz"] = (ADBENCH_URL.format(name=_name), ADBENCH_SHA256.get(_name))
for _name, (_commit, _path, _sha) in ODDS.items():
    FILES[f"odds/{_name}.mat"] = (PYOD_RAW.format(commit=_commit, path=_path), _sha)

#: ADBench sets shipped inside the package (``_data/NAME.csv.gz``).
EMBEDDED = [
    "7_Cardiotocography", "15_Hepatitis", "21_Lymphography", "27_PageBlocks", "29_Pima",
    "37_Stamps", "39_vertebral", "43_WDBC", "45_wine", "47_yeast",
]
