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

#: sha256 of every ADBench "Classical" file stored in full at ``ADBENCH_COMMIT``.
ADBENCH_SHA256 = {
    "1_ALOI": "792d0b5bd1147bfc9574a1974f157b39fbd4cbed8ecd04cf983fd554498ed477",
    "2_annthyroid": "e738f7c58a8740d2c4aac4c71ff49ce5e1d1aa16f44178135fc9c09df05fad1b",
    "4_breastw": "4f37ce07dbc25ddad8178fdc6d664ab46d2d0000ee28c2787c3c7ff3c03ef9f6",
    "5_campaign": "74dd4d0072d6c6f1aabab63bc102f9633454f32bb936fa9bcfbd38f9f2386bcd",
    "6_cardio": "bc5009bde6930b4d298b594f31b34485a9a17210cff0e8fb00a8c3068b885a2d",
    "7_Cardiotocography": "5ae84910430f05923e11b6f537243263977c9136949dabd891e3570aeec51e29",
    "8_celeba": "1cadfdea14cd8d240eca715a70c09c88af8621d086a7478c63f602d97adef0b5",
    "10_cover": "945a097c3542ae81a551bf1c06dcad78a755d94f84fcaf1d60687e42d1a656df",
    "11_donors": "5824ec854465f2763b4bfe3da1ae9f25ed5433b5c6e265d42e37da4f82a58679",
    "12_fault": "ec27301f9a4cf7c5d8b22c360cf37ddb043b7fb062465723dfd8b34e2771e5dd",
    "14_glass": "aa7a8db1d475ba01a10488af454bc15220a3d5951b010b03b7020567d8152cdc",
    "15_Hepatitis": "4a87a2f7d8013e5bfde63294fae61ec7a612322de72f338a7f9491749025ad98",
    "16_http": "9d98710091551587f4740cfc851a6b064fff6319a337c2dc77ee6da4bcc2e02c",
    "17_InternetAds": "bdd8ad5cf5bf2cb96cba53dde30d522d0f6a279083a8e2bc7efbac5981b04385",
    "18_Ionosphere": "bca46cb0cfd1bf9ddef6cde5ad2215d54fb0189508d0d4c4eb98e788cad69001",
    "19_landsat": "ba17e2158c07469597b89db49d3982c874c6b713ff6670721ddc88969da77987",
    "20_letter": "f986d3da80cf1fa2aea83a5ebe73b7d4800e0d4c01fdd1ae074b58d20f10d039",
    "21_Lymphography": "dad977b04f4ea65b78ccd0e9f76b45175bad605165b37e63f3cc177845e67037",
    "22_magic.gamma": "0be375984d7af9ea7a63b12206c240840d8b7daa3607021c5fb8756407dd86f1",
    "23_mammography": "a0308ac9712d78321073b1c2dc98dc37665c0f35c1cc33019416fe8f8d7de7ea",
    "24_mnist": "be7706272325fdd3592c1be555ae1a82f916a2f8545f4f8cbaa548ab102cc44c",
    "25_musk": "2ed3f4392197b76a1e59116ff880c7720a4b026cf4842073a53b56fdea265017",
    "26_optdigits": "60de17a375a278ba220a7849727d998aa02b5e2f9fd17732a004bba28de4656e",
    "27_PageBlocks": "10a9b4d5bb5d3b9083caab4c4062f665610eada703c3d927bf7c34b1f2d0d223",
    "28_pendigits": "c4936b89dcdad59d303020e492f763a0f54170080d787c77497609acbb9c2d79",
    "29_Pima": "215454bb263a2f040945c9ea7bd7f06f1e89a61a3143bdb6f196e3887e801a7d",
    "30_satellite": "1f048f5686f1b8c16a227fdfa3c81a62cd9a92715714a6b24c69b1c5ad96b46e",
    "31_satimage-2": "1b056e357f801b8b20c3f380a30224a3c4088d7ed764ec5a24828dc9b1918d6f",
    "32_shuttle": "26900b0f6be45d9ddb7a402c9b2f956ceda42d23a8ca4cf4406b8bc1352823d1",
    "33_skin": "d02aa01ffc1b6bf2b8b1ac250c90e8a8eacd0cefc962940ed5cc4bf5deac9c95",
    "34_smtp": "d2569fc9bc12115419e3f5b37d19921e10e6c26e5ad1e61064cfb0fbc402dfdd",
    "35_SpamBase": "d0c46c7928e43f6496bcd06e09de0b70f6bc8143792dfa0a43f450263d254e9b",
    "37_Stamps": "99fe739447284f613fa54bf2dccdb51c5120175ce6260adec6dad77576c42509",
    "38_thyroid": "8de161b3f235b7647bb0b39a836d983ff61d67bf234edac461da2d71e889cb87",
    "39_vertebral": "0816286f92b96fe6867664a41a031ac7228dcfbf1a5feefe50ca3883b2e9073d",
    "40_vowels": "4bfc4244d1c882773bbbc50d4a5db5e52276e53506e46b2d45e02d074cfcb1b6",
    "41_Waveform": "6c9d867337ad1a2f8372c1d27f4c032f0401237e2041b7c45f00de8d319ff30f",
    "42_WBC": "650f9dcb129248f67a291be0974f533ef259fcbde50fce5c8ad2a1cb2652d03b",
    "43_WDBC": "78d4606a1ab516f5b60b00c196497f3bbd6bd5e4548fd04cf5f2475209b34b85",
    "44_Wilt": "c70b72aa611ec87b20efb400943ef3ce4f8bf7aa58fcef825fbd28cc5cee3cc9",
    "45_wine": "d5ad8965d92cc57122fe1e6572bb301adbaf795b3e166d187ae00a704d8f6e20",
    "46_WPBC": "68a6d67242643855713bcdad07d89ecc472bd00000dccc17ba87916eb2693d19",
    "47_yeast": "bbb15c873d78a4f6a589f46d0f75814595e2282d2ae7ce7779c750f276c3770d",
}

#: Sets whose file at ``ADBENCH_COMMIT`` is a large-file pointer, not the data:
#: they cannot be downloaded from there, only put into the cache by hand.
ADBENCH_POINTERS = ("3_backdoor", "9_census", "13_fraud", "36_speech")

#: The 21 sets the development benchmarks run (``--datasets dev``).
ADBENCH_DEV = [
    "1_ALOI", "5_campaign", "7_Cardiotocography", "11_donors", "15_Hepatitis",
    "17_InternetAds", "19_landsat", "21_Lymphography", "23_mammography", "25_musk",
    "27_PageBlocks", "29_Pima", "31_satimage-2", "33_skin", "35_SpamBase", "37_Stamps",
    "39_vertebral", "41_Waveform", "43_WDBC", "45_wine", "47_yeast",
]

# ADBench's deep-feature sets: images embedded by an ImageNet-pretrained ResNet-18
# (512 features), texts by BERT's [CLS] token (768 features). Named here
# "<encoder>_<set>" and cached as "embeddings/<encoder>_<set>.npz".
EMBEDDING_URL = ("https://github.com/Minqi824/ADBench/raw/" + ADBENCH_COMMIT
                 + "/adbench/datasets/{folder}/{name}.npz")
EMBEDDING_FOLDERS = {"ResNet18": "CV_by_ResNet18", "BERT": "NLP_by_BERT"}

#: ADBench's image sets (folder ``CV_by_ResNet18``): one class is normal in each.
ADBENCH_CV = [
    *(f"CIFAR10_{i}" for i in range(10)),
    *(f"FashionMNIST_{i}" for i in range(10)),
    *(f"MNIST-C_{kind}" for kind in (
        "brightness", "canny_edges", "dotted_line", "fog", "glass_blur", "identity",
        "impulse_noise", "motion_blur", "rotate", "scale", "shear", "shot_noise", "spatter",
        "stripe", "translate", "zigzag")),
    *(f"MVTec-AD_{kind}" for kind in (
        "bottle", "cable", "capsule", "carpet", "grid", "hazelnut", "leather", "metal_nut",
        "pill", "screw", "tile", "toothbrush", "transistor", "wood", "zipper")),
    *(f"SVHN_{i}" for i in range(10)),
]
#: ADBench's text sets (folder ``NLP_by_BERT``).
ADBENCH_NLP = [*(f"20news_{i}" for i in range(6)), *(f"agnews_{i}" for i in range(4)),
               "amazon", "imdb", "yelp"]

#: Every embedding set by its name here.
EMBEDDING_NAMES = [*(f"ResNet18_{s}" for s in ADBENCH_CV), *(f"BERT_{s}" for s in ADBENCH_NLP)]

#: sha256 of the embedding files whose bytes were checked; the others download
#: with a warning that their checksum is not pinned.
EMBEDDING_SHA256 = {
    "BERT_20news_3": "b5a1d572cac7c81ebc3cf485649c45b7580cb326edf07a1681679984d016831d",
    "ResNet18_CIFAR10_0": "f0e89be5576c37e5c2f7393f7a478d8ec0cc348559fc177c273ff076ef10db00",
    "ResNet18_CIFAR10_4": "13fe6ac27684cadd0b223a48dcb532474e4eb69592b159d21d8f6d195ec48512",
    "ResNet18_MVTec-AD_bottle": "9eb7a78f1f6ecfcd00391ea01fe06f998e3fb7b8e89a34c06d69786ee38a8059",
    "ResNet18_MVTec-AD_cable": "65f36182cf75ba1b2629af7bee3eec87ed9b050796e0b7c06493993e0ba4cee1",
    "ResNet18_MVTec-AD_capsule": "b5d97c3b3c08b0c25fdb3b0fd50e9b9fd24bd75b4e36956d47159e715d52470d",
    "ResNet18_MVTec-AD_carpet": "7c9e1f06b185baae2c72b922aa29cb219d2b8d6a9fe1b03f86ccf1fd34a0b6c0",
    "ResNet18_MVTec-AD_grid": "376fe5d7568fb3c1b9056a03aef6c0c350476a11b4f4579e6b7d8f8e5405f837",
    "ResNet18_MVTec-AD_hazelnut":
        "3c40cf88d6c16827c9609c5ef4f0c7d81f8b8509905c9c4c68a79d8ba1696bdf",
    "ResNet18_MVTec-AD_leather": "c4615f05409b0ae785a007889b4521cf3c3a43ce5b7ff7623f2255c121ef1e29",
    "ResNet18_MVTec-AD_metal_nut":
        "c00f29018bbf304c8e50d366fccc635ded7da90dea7e4a2fd41afb1a62609796",
    "ResNet18_MVTec-AD_pill": "878407b2700e3414dec26f2bae153f28d9b8e9e2367a0775b082efe641531188",
    "ResNet18_MVTec-AD_screw": "a143cbb84cb2a8bbd5b86065bf56fffbc5c9a52d5da4ba9826c844fe35ef68fa",
    "ResNet18_MVTec-AD_tile": "6d4564cd2844ff91274612b0dba39c3cfbabedf4535ec3573889bbd575075086",
    "ResNet18_MVTec-AD_toothbrush":
        "798a5edef4291e0466d2a7234101ee496927ddd96d0cbb620da008f4ed06753e",
    "ResNet18_MVTec-AD_transistor":
        "4c045fa018a2f4ffd828683b1d35580533662b2336c356e7e579c04da899b98e",
    "ResNet18_MVTec-AD_wood": "5fb9b4b57f6d66ab06ca3575d51359b0110943d4df4a20b495b1583730fc8d98",
    "ResNet18_MVTec-AD_zipper": "d60591ab34dced348b32574c4c0ff680068bbf5017d06d2bc5f9b15521f38bb8",
    "ResNet18_SVHN_0": "3526704c19ae4c62337a37f1f9294e3ec065d9f7a8e21f9e7c881b5acab13579",
}

#: The 19 embedding sets the development benchmarks run (``--datasets embeddings``).
EMBEDDING_DEV = list(EMBEDDING_SHA256)

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
for _name in EMBEDDING_NAMES:
    _encoder, _set = _name.split("_", 1)
    FILES[f"embeddings/{_name}.npz"] = (
        EMBEDDING_URL.format(folder=EMBEDDING_FOLDERS[_encoder], name=_set),
        EMBEDDING_SHA256.get(_name))
for _name, (_commit, _path, _sha) in ODDS.items():
    FILES[f"odds/{_name}.mat"] = (PYOD_RAW.format(commit=_commit, path=_path), _sha)

#: Files of ``FILES`` that no URL serves (their URL gives a large-file pointer).
NOT_DOWNLOADABLE = {f"adbench/{_name}.npz" for _name in ADBENCH_POINTERS}

#: ADBench sets shipped inside the package (``_data/NAME.csv.gz``).
EMBEDDED = [
    "7_Cardiotocography", "15_Hepatitis", "21_Lymphography", "27_PageBlocks", "29_Pima",
    "37_Stamps", "39_vertebral", "43_WDBC", "45_wine", "47_yeast",
]
